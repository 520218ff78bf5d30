"""Draw the app icons in static/icons/ from the shape of static/favicon.svg (the white M on teal), with Pillow.

Run with `.venv/bin/python docs/make_icons.py` after changing the favicon. Sizes: 192 and 512 (Android, Chrome's
install prompt), 512 maskable (the launcher crops it to a circle or squircle, so the M sits inside the middle
80 %), 180 (iPad and iPhone home screens).
"""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
TEAL, WHITE = (15, 95, 92, 255), (255, 255, 255, 255)
# The favicon's path "M7 23V9h4l5 8 5-8h4v14h-4v-8l-5 7-5-7v8z" on its 32×32 grid.
LETTER = [(7, 23), (7, 9), (11, 9), (16, 17), (21, 9), (25, 9), (25, 23), (21, 23), (21, 15), (16, 22), (11, 15),
          (11, 23)]


def icon(size, maskable=False):
    scale = 4  # drawn large and scaled down: smooth edges without an anti-aliasing library
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=TEAL)
        unit, offset = big * 0.8 / 32, big * 0.1
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 7 / 32, fill=TEAL)
        unit, offset = big / 32, 0
    draw.polygon([(offset + x * unit, offset + y * unit) for x, y in LETTER], fill=WHITE)
    return image.resize((size, size), Image.LANCZOS)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    icon(192).save(OUT / "icon-192.png", optimize=True)
    icon(512).save(OUT / "icon-512.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    print(f"Icons written to {OUT}")


if __name__ == "__main__":
    main()
