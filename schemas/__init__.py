"""Bundled XSDs for Mule 3.9 core, vm, test and the Spring subset Mule configs use."""
