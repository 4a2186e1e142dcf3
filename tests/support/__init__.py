"""Test support: real data paths and the PostGIS test database."""
