"""The portal at `/`: the page, its static JS/CSS and the vendored MapLibre GL JS build."""
