"""The lecture's Keras GAN, timed: run with a Python that has tensorflow-cpu (bench_gan.py
makes one in bench/.keras-venv). Prints one JSON line per variant.

    seed:  the lecture's code: Sequential models, train_on_batch, generator.predict
    tuned: the same, with the generator called directly instead of generator.predict

    python bench/keras_gan.py DATA.npy --steps 100 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from tensorflow import keras  # noqa: E402
from tensorflow.keras import layers  # noqa: E402

NOISE_DIM = 100


def build_generator(n_pixels: int) -> keras.Sequential:
    model = keras.Sequential([keras.Input((NOISE_DIM,))])
    for size in (128, 256, 512, 1024):
        model.add(layers.Dense(size))
        model.add(layers.BatchNormalization())
        model.add(layers.LeakyReLU(0.2))
    model.add(layers.Dense(n_pixels, activation="tanh"))
    return model


def build_discriminator(n_pixels: int) -> keras.Sequential:
    model = keras.Sequential([keras.Input((n_pixels,))])
    for size in (1024, 512, 256):
        model.add(layers.Dense(size))
        model.add(layers.LeakyReLU(0.2))
        model.add(layers.Dropout(0.3))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


def make_step(data: np.ndarray, batch_size: int, variant: str):
    n_pixels = data.shape[1]
    generator = build_generator(n_pixels)
    discriminator = build_discriminator(n_pixels)
    discriminator.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(2e-4, 0.5))
    discriminator.trainable = False
    combined = keras.Sequential([generator, discriminator])
    combined.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(2e-4, 0.5))
    ones, zeros = np.ones((batch_size, 1)), np.zeros((batch_size, 1))

    def step() -> None:
        index = np.random.randint(0, data.shape[0], batch_size)
        noise = np.random.uniform(-1, 1, (batch_size, NOISE_DIM))
        if variant == "seed":
            fake = generator.predict(noise, verbose=0)
        else:
            fake = generator(noise, training=False).numpy()
        discriminator.train_on_batch(data[index], ones)
        discriminator.train_on_batch(fake, zeros)
        combined.train_on_batch(np.random.uniform(-1, 1, (batch_size, NOISE_DIM)), ones)

    return step


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default="seed,tuned")
    args = parser.parse_args()
    data = np.load(args.data)
    for variant in args.variants.split(","):
        step = make_step(data, args.batch_size, variant)
        for _ in range(10):
            step()
        seconds = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            for _ in range(args.steps):
                step()
            seconds.append((time.perf_counter() - started) / args.steps)
        print(
            json.dumps(
                {"variant": f"keras-{variant}", "steps_per_second": 1 / statistics.median(seconds)}
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
