"""Map assets mapnode serves itself, so maps need no outside server: SDF glyph PBFs made from
the system's CJK fonts (`glyphs.py`) and the sprite sheet (`sprites.py`)."""
