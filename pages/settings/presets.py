"""The lecturer presets: one-click setups that show a phenomenon, each with what to look for.
Keys are the pages' widget keys; bench/bench_presets.py (the GAN page's and the RBM page's)
and bench/bench_rbm_exact.py ("RBM up close") check them headless."""

from __future__ import annotations

PRESETS = {
    "Healthy run": (
        {
            "gan_lr_g": 2e-4,
            "gan_lr_d": 2e-4,
            "gan_k": 1,
            "gan_saturating": False,
            "gan_batch": 128,
            "gan_average": 0.0,
        },
        "The seed's settings. Watch D(x) and D(G(z)) approach each other and the fixed-noise "
        "grid turn from noise into digits over several thousand steps.",
    ),
    "Digits in a minute": (
        {
            "gan_lr_g": 2e-3,
            "gan_lr_d": 1e-3,
            "gan_k": 1,
            "gan_saturating": False,
            "gan_batch": 64,
            "gan_average": 0.998,
        },
        "Learning rates ten and five times the seed's, batches of 64, and pictures from an "
        "average of G's weights over its last ~500 updates: the average smooths out the "
        "back-and-forth that such rates cause, so digits form sooner: the judge counts them "
        "after about 7,000 steps, where the healthy run needs more. Compare the fixed-noise "
        "grid and the FID curve with the healthy run.",
    ),
    "Mode collapse": (
        {
            "gan_lr_g": 2e-3,
            "gan_lr_d": 1e-4,
            "gan_k": 1,
            "gan_saturating": False,
            "gan_batch": 32,
            "gan_average": 0.0,
        },
        "The generator learns 20 times faster than the discriminator: it finds a few shapes "
        "that fool D and keeps drawing them. Watch the class-coverage bars (a tall 'none' and "
        "a few short ones) and the coverage entropy, which stays below 0.5 through 3,000 "
        "steps where the healthy run's passes 2 by step 2,000.",
    ),
    "Discriminator wins too fast": (
        {
            "gan_lr_g": 5e-5,
            "gan_lr_d": 1e-3,
            "gan_k": 5,
            "gan_saturating": True,
            "gan_batch": 128,
            "gan_average": 0.0,
        },
        "Five D updates per G update, D twenty times faster, and the saturating loss "
        "log(1 − D(G(z))): within a hundred steps D rejects every fake (D(x) ≈ 1, D(G(z)) ≈ 0) "
        "and ‖∇G‖ sinks towards zero (hundredths by step 150, thousandths by step 250), so G "
        "learns almost nothing and the classifier FID stays where it began. Switch the "
        "saturating loss off and Reset: ‖∇G‖ stays between tenths and tens and the FID falls "
        "by more than half in 300 steps: that is why G uses the proxy.",
    ),
    "Learning rate too high": (
        {
            "gan_lr_g": 2e-2,
            "gan_lr_d": 2e-2,
            "gan_k": 1,
            "gan_saturating": False,
            "gan_batch": 128,
            "gan_average": 0.0,
        },
        "Both learning rates at 0.02, a hundred times the seed's: within a few hundred steps D "
        "rejects everything (D(x) → 1, D(G(z)) → 0), G's gradient norm swings tenfold from one "
        "measurement to the next, every sample looks like the same blob and the classifier FID "
        "stays high.",
    ),
}

DREAMER = {  # what both RBM presets share: only the negative phase differs
    "rbm_dataset": "mnist-5k",
    "rbm_hidden": 500,
    "rbm_lr": 0.005,
    "rbm_k": 1,
    "rbm_batch": 100,
    "rbm_epochs": 150,
    "rbm_momentum": 0.9,
    "rbm_decay": 1e-4,
}
RBM_PRESETS = {  # the RBM page's; bench/bench_presets.py --page rbm measures the sentences
    "Dream digits (PCD)": (
        {**DREAMER, "rbm_method": "PCD", "rbm_dream_sampler": "persistent"},
        "500 hidden units trained with persistent chains (PCD-1, rate 0.005, momentum 0.9). "
        "Under Dreams, press Dream with PCD's persistent chains every thousand steps or so: by "
        "step 3,000 (about 65 epochs) they are digits of about four kinds. Then try plain "
        "Gibbs from noise: digits too, nearly all of them recognised, but of only two or three "
        "kinds: the model's valleys are uneven, and chains from noise find the deepest.",
    ),
    "Fading dreams (CD-1)": (
        {**DREAMER, "rbm_method": "CD", "rbm_dream_sampler": "plain"},
        "The same model trained with CD-1, whose negative chains start at the training images. "
        "Its reconstructions look ever better, yet under Dreams, plain Gibbs from noise gives "
        "fewer and fewer digits the judge can read as training goes on (a fifth or fewer by "
        "step 4,500, where PCD's are nearly all digits). Look inside → Free energies shows "
        "where its samples sit.",
    ),
}
RACE = {"ex_k": 1, "ex_seed": 0, "ex_steps": 5000, "ex_compare": True}  # what the sentences assume
EXACT_PRESETS = {  # the "RBM up close" page's
    "What CD's shortcut costs": (
        {
            "ex_data": "Bars and stripes 3×3",
            "ex_hidden": 8,
            "ex_lr": 0.2,
            "ex_method": "CD",
            **RACE,
        },
        "In 5,000 updates on bars and stripes the exact gradient climbs to within 0.1 nats of "
        "the dashed ceiling while CD-1 levels off nearly a nat below it, and PCD-1, whose "
        "chains cannot keep up at this rate, lower still.",
    ),
    "Too few hidden units": (
        {
            "ex_data": "Bars and stripes 3×3",
            "ex_hidden": 2,
            "ex_lr": 0.2,
            "ex_method": "exact",
            **RACE,
        },
        "Two hidden units cannot hold 14 patterns: even the exact gradient stops more than two "
        "nats below the ceiling, with few of the patterns among the model's most probable "
        "states.",
    ),
    "Learning rate too high": (
        {
            "ex_data": "Bars and stripes 4×4",
            "ex_hidden": 12,
            "ex_lr": 2.0,
            "ex_method": "exact",
            **RACE,
        },
        "At rate 2 each exact step overshoots, so the log-likelihood jumps up and down instead "
        "of climbing (set the rate to 0.2 and press Reset to compare).",
    ),
    "One shape, moved": (
        {"ex_data": "Shifted squares 4×4", "ex_hidden": 8, "ex_lr": 0.2, "ex_method": "CD", **RACE},
        "A 2×2 square in 9 places: the model's most probable states become the 9 squares, and "
        "the slow motion shows which hidden units answer which place.",
    ),
}

RING = {  # what every "GAN in 2-D" preset starts from, unless it says otherwise
    "g2_data": "Ring of 8 Gaussians",
    "g2_noise_dim": 2,
    "g2_noise": "gaussian",
    "g2_g_depth": 2,
    "g2_g_width": 64,
    "g2_d_depth": 2,
    "g2_d_width": 64,
    "g2_lr_g": 1e-3,
    "g2_lr_d": 1e-3,
    "g2_k": 1,
    "g2_saturating": False,
    "g2_batch": 256,
    "g2_seed": 0,
    "g2_head_start": 0,
}
GAN2D_PRESETS = {  # the "GAN in 2-D" page's
    "Healthy ring": (
        RING,
        "The page's defaults: within a few hundred steps the purple points spread over all 8 "
        "green modes, and D's surface fades to an even ½ where G matches the data.",
    ),
    "Mode collapse": (
        {**RING, "g2_lr_g": 1e-2, "g2_lr_d": 1e-4},
        "G learns a hundred times faster than D, which barely learns: with nothing steady to "
        "follow, G's points roam the plane as a clump, on one mode or none at a time, and never "
        "cover the ring.",
    ),
    "Saturating loss": (
        {**RING, "g2_saturating": True, "g2_lr_d": 1e-2, "g2_k": 5, "g2_head_start": 300},
        "D first trains alone for 300 steps until it rejects G's points (D(G(z)) ≈ 0.01): with "
        "the saturating loss log(1 − D(G(z))), G's push is then about ten times weaker than with "
        "the proxy −log D(G(z)) (untick it and Reset to compare), though in the plane G still "
        "escapes within a few hundred steps.",
    ),
    "k too large": (
        {**RING, "g2_k": 25},
        "Twenty-five D updates per G update: D stays ahead (D(x) ≈ 0.7, D(G(z)) ≈ 0.3 instead "
        "of ½), its surface a sharp wall with G's arrows several times longer, and steps come "
        "about twelve times slower.",
    ),
    "Learning rate too high": (
        {**RING, "g2_lr_g": 5e-2, "g2_lr_d": 5e-2},
        "Both rates at 0.05, fifty times the default: the points jump around the plane from "
        "step to step and the KL and JS curves never settle.",
    ),
}
