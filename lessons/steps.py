"""The two 15-minute lessons of docs/teaching.md, each step's words beside the predicates that
check them: what a step says the class will see is a Claim, trained headless on the step's own
link (tests/test_lessons.py) and timed in Chromium (bench/bench_lessons.py). The markdown is
written from here (python -m lessons.write)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons.claims import Claim, Measured, between, claim
from lessons.looks import dreams, pretrained_rbm, push, replay_verdicts, surface, top_states
from lessons.runs import Run

SITE = "http://localhost:8501/"


@dataclass(frozen=True)
class Step:
    title: str
    minutes: int
    link: str  # the page it opens ("" on the page the step before opened)
    link_text: str
    do: str  # what the lecturer presses
    say: str
    see: tuple[str | Claim, ...]  # words, and claims whose words a test checks

    @property
    def claims(self) -> list[Claim]:
        return [part for part in self.see if isinstance(part, Claim)]


# ---- the RBM -------------------------------------------------------------------------------

SQUARES = SITE + (
    "rbm-exact?data=Shifted%20squares%204%C3%974&race=0&hide=lr,k,seed,updates,race&present=1"
)
RACE = SITE + "rbm-exact?hide=data,hidden,lr,k,seed,updates&present=1"
PCD = SITE + (
    "rbm?hidden=500&lr=0.005&method=PCD&epochs=150&momentum=0.9"
    "&hide=dataset,batch,decay,seed&present=1"
)

PCD_RUN = Run(PCD, 4500, 1500, dreams("persistent", "plain"))  # both of its claims read it


def _squares_found(squares) -> Measured:
    found = squares.series("top_are_data")
    first = next((step for step, held in found if held), None)
    held = first is not None and found[-1, 1] == 1
    return Measured(held, f"the 9 most probable states are the squares from step {first:,.0f}")


def _race(race) -> Measured:
    ceiling = race.at("ceiling", 5000)
    exact = ceiling - race.at("log_likelihood exact", 5000)
    cd = ceiling - race.values("log_likelihood CD-1", 3000, 5000)
    held = exact <= 0.1 and between(cd.min(), 0.5, 1.3) and between(cd.max(), 0.5, 1.3)
    return Measured(
        held,
        f"exact {exact:.2f} nats below at update 5,000; CD-1 {cd.min():.2f}–{cd.max():.2f} "
        "below from update 3,000 on",
    )


def _sharp(pcd) -> Measured:
    first, error = (
        pcd.at("reconstruction_error_validation", 1),
        pcd.at("reconstruction_error_validation", 300),
    )
    return Measured(
        error <= 0.4 * first,
        f"reconstruction error {first:.3f} at step 1, {error:.3f} at step 300",
    )


def _pcd_dreams(pcd) -> Measured:
    chains = pcd.at("persistent_recognised", 4500), pcd.at("persistent_kinds", 4500)
    plain = pcd.at("plain_kinds", 4500)
    held = chains[0] >= 0.5 and chains[1] >= 4 and plain <= 2
    return Measured(
        held,
        f"at step 4,500 PCD's chains: {chains[0]:.0%} recognised, {chains[1]:.0f} kinds; plain "
        f"Gibbs: {plain:.0f} kinds",
    )


def _pretrained(model) -> Measured:
    recognised, kinds = model.at("annealed_recognised", 0), model.at("annealed_digits", 0)
    plain = model.at("plain_kinds", 0)
    held = recognised >= 0.7 and kinds >= 9 and plain <= 3
    return Measured(
        held,
        f"annealed: {kinds:.0f} digits among the 64, {recognised:.0%} recognised; plain Gibbs: "
        f"{plain:.0f} kinds of 5% or more",
    )


def _replay(model) -> Measured:
    most, median = model.at("replay_kinds_most", 0), model.at("replay_recognised_median", 0)
    seen = {int(model.at("replay_first", 0)), int(model.at("replay_second", 0))}
    held = most <= 6 and median >= 0.5 and seen == {1, 7}
    return Measured(
        held,
        f"frames from update 1,000: at most {most:.0f} kinds, median {median:.0%} recognised, "
        f"most often {' and '.join(str(d) for d in sorted(seen))}",
    )


RBM = (
    Step(
        "The energy",
        2,
        SITE + "?present=1",
        "Home",
        "",
        "an RBM gives every pair of an image v and hidden units h an energy "
        "E(v, h) = −bᵀv − cᵀh − hᵀWv; low energy is probable, P(v, h) = e^(−E(v,h)) / Z.",
        ("both models in a sentence and a formula each.",),
    ),
    Step(
        "One update, in slow motion",
        4,
        SQUARES,
        "RBM up close, one shape moved",
        "Press Step a few times, then open “One update in slow motion” and go through Steps 1–4 "
        "with Next; then Play.",
        "the update lowers the free energy F(v) of the data and raises it where the model's own "
        "samples are; with 16 pixels Z is a sum we can do, so nothing here is an estimate.",
        (
            claim(
                "after Play, the model's 9 most probable states become the 9 squares.",
                _squares_found,
                squares=Run(SQUARES, 5000, 250, top_states),
            ),
        ),
    ),
    Step(
        "What CD's shortcut costs",
        3,
        RACE,
        "RBM up close, the race",
        "Press Play.",
        "CD-1 starts its chain at a training image and takes one Gibbs step, a cheap guess at "
        "the model's expectation; the exact gradient needs every state.",
        (
            claim(
                "in 5,000 updates the exact gradient climbs to within 0.1 nats of the dashed "
                "ceiling while CD-1 levels off about a nat below it.",
                _race,
                race=Run(RACE, 5000, 5000, lambda job: {"ceiling": -job.entropy}),
            ),
        ),
    ),
    Step(
        "Reconstruction is not generation",
        4,
        PCD,
        "The RBM page, PCD on 500 hidden units",
        "Press Start; under Dreams choose “PCD's chains” and press Dream every thousand steps "
        "or so.",
        "the samples beside the training images are one Gibbs step away from them, which "
        "proves little; an RBM is a generative model, so ask it to dream.",
        (
            claim(
                "sharp reconstructions within a few hundred steps (the reconstruction error "
                "under 40% of its first value by step 300);",
                _sharp,
                pcd=PCD_RUN,
            ),
            claim(
                "by step 4,500 most of the persistent chains are digits, of four or more kinds, "
                "and plain Gibbs from noise gives digits of one or two.",
                _pcd_dreams,
                pcd=PCD_RUN,
            ),
        ),
    ),
    Step(
        "Dreams of every digit",
        2,
        "",
        "",
        "On the same page, press “Start from the pretrained RBM” (under the checkpoints), then "
        "Dream with “Annealed”.",
        "chains that start from noise fall into the nearest valley of F(v); annealing lets each "
        "choose its digit while the landscape is still smooth.",
        (
            claim(
                "nine or ten of the ten digits among the 64 dreams (eights are rare), about "
                "three in four recognised by the reference CNN; with “Plain Gibbs”, one to three "
                "kinds.",
                _pretrained,
                model=Run(PCD, 0, 0, dreams("annealed", "plain"), pretrained_rbm),
            ),
            claim(
                "“Replay: the pretrained RBM” under the live view shows its dreams (annealed "
                "over 300 Gibbs steps) through its 6,850 recorded updates: from update 1,000 on "
                "most are digits, but of at most six kinds at once, mostly ones and sevens; the "
                "Dream button's 1,000 annealed steps find the valleys of nearly every digit.",
                _replay,
                model=Run(PCD, 0, 0, replay_verdicts),
            ),
        ),
    ),
)

# ---- the GAN -------------------------------------------------------------------------------

PLANE = ",".join(("g_depth", "g_width", "d_depth", "d_width", "seed"))
RING = SITE + f"gan-2d?hide={PLANE}&present=1"
SATURATING = SITE + (
    f"gan-2d?saturating=1&lr_d=0.01&k=5&head_start=300&speed=20%20steps%2Fs&hide={PLANE}&present=1"
)
PROXY = SATURATING.replace("saturating=1", "saturating=0")
DIGITS = ",".join(("dataset", "noise", "seed", "presets"))
SOONER = SITE + f"gan?lr_g=0.002&lr_d=0.001&batch=64&average=0.998&hide={DIGITS}&present=1"
COLLAPSE = SITE + f"gan?lr_g=0.002&lr_d=0.0001&batch=32&hide={DIGITS}&present=1"
HEALTHY = SITE + f"gan?hide={DIGITS}&present=1"
D_WINS = SITE + f"gan?lr_g=5e-05&lr_d=0.001&k=5&saturating=1&hide={DIGITS}&present=1"
D_WINS_PROXY = D_WINS.replace("saturating=1", "saturating=0")


def _ring(ring) -> Measured:
    modes = ring.values("modes_covered", 700, 1001)
    mean, spread = ring.at("surface_mean", 1000), ring.at("surface_spread", 1000)
    mostly = float(np.mean(modes >= 7))
    held = modes[-1] == 8 and mostly >= 0.8 and between(mean, 0.4, 0.6) and spread <= 0.1
    return Measured(
        held,
        f"modes covered at step 1,001: {modes[-1]:.0f} of 8; 7 or 8 in {mostly:.0%} of the "
        f"measures from step 700; D(x) over the plane at step 1,000: mean {mean:.2f}, spread "
        f"{spread:.2f}",
    )


def _saturating(saturating, proxy) -> Measured:
    ratio = saturating.at("push", 300) / proxy.at("push", 300)
    d_fake = saturating.at("d_fake", 300)
    return Measured(
        ratio <= 0.2 and d_fake <= 0.3,
        f"at step 300 G's push {saturating.at('push', 300):.1f} against the proxy's "
        f"{proxy.at('push', 300):.1f} ({1 / ratio:.0f}× weaker); D(G(z)) {d_fake:.2f}",
    )


def _sooner(sooner) -> Measured:
    share = sooner.at("confident_share", 2001)
    return Measured(share >= 0.4, f"{share:.0%} recognised at step 2,001")


def _collapse(collapse, healthy) -> Measured:
    entropy = collapse.values("coverage_entropy", 0, 2001)
    rejected = collapse.at("not_a_digit", 2001)
    passes = healthy.at("coverage_entropy", 1001)
    held = entropy.max() < 0.5 and rejected >= 0.8 and passes > 1
    return Measured(
        held,
        f"entropy at most {entropy.max():.2f} to step 2,001, {rejected:.0%} “none” there; the "
        f"healthy run's entropy {passes:.2f} at step 1,001",
    )


def _d_wins(saturating, proxy) -> Measured:
    d_real = saturating.values("d_real", 5, 80)
    d_fake = saturating.values("d_fake", 5, 80)
    gradient = saturating.values("generator_grad_norm", 5, 80)
    pushed = np.median(proxy.values("generator_grad_norm", 5, 80))
    held = (
        d_real.min() >= 0.99
        and d_fake.max() <= 0.01
        and np.median(gradient) < 0.01
        and gradient.max() < 0.1
        and pushed > 1
    )
    return Measured(
        held,
        f"steps 5–80: D(x) ≥ {d_real.min():.3f}, D(G(z)) ≤ {d_fake.max():.3f}, ‖∇G‖ median "
        f"{np.median(gradient):.4f}, at most {gradient.max():.3f}; the proxy's median {pushed:.1f}",
    )


GAN = (
    Step(
        "The game in the plane",
        3,
        RING,
        "GAN in 2-D, a ring of 8 Gaussians",
        "Press Play.",
        "D learns to tell real points from G's, G learns to move its points where D says "
        "“real”; the arrows are −∂(G's loss)/∂x.",
        (
            claim(
                "by step 1,000 the points spread over all 8 modes (one may go missing for a "
                "moment), and D's surface stays near an even ½ (0.4 to 0.6) everywhere: it "
                "cannot tell G's points from the real ones.",
                _ring,
                ring=Run(RING, 1001, 100, surface),
            ),
        ),
    ),
    Step(
        "Why G does not use the textbook loss",
        3,
        SATURATING,
        "GAN in 2-D, the saturating loss, 20 steps a second",
        "Press Play and watch “G's push” as the head start ends at step 300.",
        "D first trains alone and learns to reject G's points; log(1 − D(G(z))) is flat "
        "where D rejects.",
        (
            claim(
                "at the end of the head start D(G(z)) is about 0.2 and G's push about ten times "
                "weaker than with the proxy −log D(G(z)) (untick the saturating loss and Reset "
                "to compare); once the game starts, G escapes within a few steps in the plane.",
                _saturating,
                saturating=Run(SATURATING, 300, 300, push),
                proxy=Run(PROXY, 300, 300, push),
            ),
        ),
    ),
    Step(
        "Digits from noise",
        4,
        SOONER,
        "The GAN page, digits sooner",
        "Press Start.",
        "each step trains D once on real and generated digits, then G once; at the balance "
        "D(x) = D(G(z)) = ½.",
        (
            claim(
                "the fixed-noise grid turn from noise to digit-like strokes; by step 2,000 the "
                "judge recognises about half of G's samples (two in five or more).",
                _sooner,
                sooner=Run(SOONER, 2001),
            ),
            "It counts them as digits (80% recognised, every digit 5% or more) only after "
            "about 13,000 steps: open “Replay: the pretrained GAN from noise to digits” under "
            "the live view and drag its slider through the pretrained GAN's 7,000 recorded "
            "steps; “Continue training from step 3,024” trains on live from halfway.",
        ),
    ),
    Step(
        "Mode collapse",
        3,
        COLLAPSE,
        "The GAN page, G twenty times faster than D",
        "Press Start.",
        "G finds a few shapes that fool D and keeps drawing them.",
        (
            claim(
                "the grid fill with a few shapes over and over; “Samples judged digits” shows "
                "four in five or more “not a digit” (under the charts, a tall “none” bar), and "
                "the coverage entropy stays under 0.5 through 2,000 steps where a healthy run's "
                "passes 1 by step 1,000.",
                _collapse,
                collapse=Run(COLLAPSE, 2001),
                healthy=Run(HEALTHY, 1001),
            ),
        ),
    ),
    Step(
        "D wins too fast",
        2,
        D_WINS,
        "The GAN page, D five times per step, saturating loss",
        "Press Start, and switch on “Log scale” above the curves.",
        "a D that wins outright leaves the saturating loss nothing to push with.",
        (
            claim(
                "for the first 80 steps D(x) ≈ 1 and D(G(z)) ≈ 0, and ‖∇G‖ mostly in the "
                "thousandths (never a tenth) where the proxy loss's, from the same start, is "
                "above 1;",
                _d_wins,
                saturating=Run(D_WINS, 80),
                proxy=Run(D_WINS_PROXY, 80),
            ),
            "then G moves anyway: Adam divides each step by the gradient's recent size, so even "
            "a tiny gradient moves G, and the game restarts. The saturating loss slows G; Adam "
            "hides how much.",
        ),
    ),
)

LESSONS = {
    "The RBM: energy, one update, and what a model dreams": RBM,
    "The GAN: a game, its balance, and how it fails": GAN,
}
