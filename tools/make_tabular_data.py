#!/usr/bin/env python3
"""Writes the small tabular data sets shipped in data/tabular/ (standard library only, deterministic).

    python3 tools/make_tabular_data.py

- houses.csv: seed 001's regression task. Two targets on very different scales, price (0..10,000)
  and age (0..100), from five features; without target scaling the price error swamps the age error.
- diabetes-risk.csv: a binary classification task (label 0/1) from six features, for --loss ce or bce.

Re-running gives byte-identical files.
"""
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "tabular")


def write(name, header, rows):
    path = os.path.join(OUT, name)
    with open(path, "w", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(repr(round(v, 4)) if isinstance(v, float) else str(v) for v in row) + "\n")
    print(f"wrote {path} ({len(rows)} rows)")


def houses(rng, n=1000):
    rows = []
    for _ in range(n):
        area = rng.uniform(30, 250)          # square metres
        rooms = rng.randint(1, 7)
        distance = rng.uniform(0.5, 40)      # km to the centre
        quality = rng.uniform(0, 1)
        year = rng.randint(1925, 2024)
        age = 2025 - year + rng.gauss(0, 1.5)             # 0..100, noisy
        age = min(max(age, 0.0), 100.0)
        price = 25 * area + 300 * rooms - 120 * distance + 2500 * quality - 15 * age + rng.gauss(0, 250)
        price = min(max(price, 0.0), 10000.0)              # 0..10,000
        rows.append([area, rooms, distance, quality, year, price, age])
    return ["area", "rooms", "distance", "quality", "year_built", "price", "age"], rows


def diabetes(rng, n=1000):
    rows = []
    for _ in range(n):
        age = rng.uniform(20, 80)
        bmi = rng.gauss(27, 5)
        glucose = rng.gauss(100, 25)
        pressure = rng.gauss(80, 12)
        activity = rng.uniform(0, 10)
        family = rng.randint(0, 1)
        z = -14 + 0.04 * age + 0.12 * bmi + 0.07 * glucose + 0.01 * pressure - 0.2 * activity + 1.2 * family
        label = 1 if rng.random() < 1 / (1 + math.exp(-z)) else 0
        rows.append([age, bmi, glucose, pressure, activity, family, label])
    return ["age", "bmi", "glucose", "blood_pressure", "activity", "family_history", "label"], rows


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write("houses.csv", *houses(random.Random(1)))
    write("diabetes-risk.csv", *diabetes(random.Random(2)))
