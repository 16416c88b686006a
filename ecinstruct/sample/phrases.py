"""Text templates for reviews, names and product copy.

Review wording is graded by star rating: the sentiment words a review uses agree with its
rating (an opener, one or two body sentences and a closer, each drawn per level), which gives
sentiment analysis real signal while the combinations keep texts varied.
"""

from __future__ import annotations

# fmt: off
OPENERS = {
    5: ["Absolutely love this {t}.", "This {t} is fantastic.", "Best {t} I have ever owned.",
        "Wow, what a great {t}.", "I am so happy with this {t}.", "Excellent {t}, exactly as described.",
        "This {t} exceeded all my expectations.", "Perfect {t} for the price."],
    4: ["Really good {t} overall.", "Very nice {t} with one small complaint.",
        "Solid {t} for the price.", "I like this {t} a lot.", "Good {t}, works as expected.",
        "Pretty happy with this {t}."],
    3: ["It's an okay {t}.", "This {t} is just average.", "Mixed feelings about this {t}.",
        "Not bad, not great, an average {t}.", "The {t} is decent but ordinary.",
        "An acceptable {t}, nothing more."],
    2: ["Disappointed with this {t}.", "This {t} was not what I hoped for.",
        "Poor quality {t} for the money.", "I expected more from this {t}.",
        "Unfortunately this {t} is mediocre at best."],
    1: ["Terrible {t}, do not buy.", "This {t} is a complete waste of money.",
        "Worst {t} I have ever purchased.", "Awful {t}, it broke after two days.",
        "Horrible {t}, totally useless."],
}
BODIES = {
    5: ["The {v} looks great in person.", "It works perfectly and the quality is excellent.",
        "Setup was quick and everything works great.",
        "The quality is outstanding and it feels sturdy.",
        "My whole family loves it, best purchase this year.",
        "It has held up great after months of daily use.",
        "The {v} is exactly what I wanted, a perfect fit."],
    4: ["The {v} is nice, although {minor}.", "It works well, but {minor}.",
        "Decent quality overall, even if {minor}.", "The {v} does the job well."],
    3: ["The {v} is fine but nothing special.", "It does the job, although {minor}.",
        "Some things are good, others are mediocre.", "It works, but it feels a bit cheap."],
    2: ["The {v} started to wear out after a few weeks.", "It works sometimes, but {issue}.",
        "The quality feels cheap and flimsy.", "Sadly {issue}."],
    1: ["It stopped working almost immediately.", "The {v} finish peeled off right away.",
        "Customer service never responded to my complaint.", "It arrived damaged and broken.",
        "Sadly {issue}, and the return was a hassle."],
}
CLOSERS = {
    5: ["Highly recommend!", "Would buy again in a heartbeat, love it.",
        "Worth every penny, excellent value.", "You will not regret it, awesome.", "Love it!"],
    4: ["Would recommend.", "Solid buy overall.", "Satisfied with it.", "Fair value."],
    3: ["It is okay for the price.", "Might look for something better next time.",
        "Average at best.", "It is fine, I guess."],
    2: ["I would not buy it again.", "Look elsewhere.", "Not worth the money.",
        "Disappointing."],
    1: ["Returning it.", "Avoid at all costs.", "Total junk.", "Terrible purchase."],
}
SHORT = {
    5: ["Great {t}!", "Love it, perfect.", "Excellent quality.", "Awesome, highly recommend."],
    4: ["Good {t}.", "Nice, works well.", "Pretty good value."],
    3: ["Just okay.", "Average {t}.", "It is fine."],
    2: ["Not great.", "Disappointing {t}.", "Poor quality."],
    1: ["Junk, broke fast.", "Terrible, avoid.", "Waste of money."],
}
SUMMARIES = {
    5: ["Five Stars", "Love it!", "Excellent", "Great quality", "Perfect", "Highly recommend"],
    4: ["Four Stars", "Very good", "Nice product", "Good value", "Works well"],
    3: ["Three Stars", "It's okay", "Average", "Decent", "Mixed feelings"],
    2: ["Two Stars", "Disappointed", "Not great", "Poor quality"],
    1: ["One Star", "Terrible", "Do not buy", "Waste of money", "Broke quickly"],
}
MINOR = ["the instructions could be clearer", "shipping took a little longer than expected",
         "it is slightly smaller than I expected", "the packaging was a bit flimsy",
         "the color is a little different from the photo"]
ISSUES = ["it stopped working after a month", "the parts do not fit together well",
          "it feels much cheaper than it looks", "half of the features do not work"]

# fmt: on

# Sentiment lexicon the tests (and anyone curious) can score texts with.
POSITIVE_WORDS = (
    "love",
    "fantastic",
    "best",
    "great",
    "happy",
    "excellent",
    "perfect",
    "outstanding",
    "recommend",
    "awesome",
    "nice",
    "good",
)
NEGATIVE_WORDS = (
    "terrible",
    "waste",
    "worst",
    "awful",
    "broke",
    "broken",
    "useless",
    "disappointed",
    "disappointing",
    "poor",
    "cheap",
    "junk",
    "avoid",
    "horrible",
)


def review(u: list[float], rating: int, type_name: str, value: str) -> tuple[str, str]:
    """(review text, summary) for a review of a `type_name` whose notable attribute is `value`.

    `u` holds 9 uniform draws in [0, 1) that make every choice (drawn in bulk by the caller:
    per-row calls into `random` would dominate the cost of writing millions of reviews).
    """
    t = type_name.lower()
    summary = _pick(SUMMARIES[rating], u[0])
    if u[1] < 0.08:
        return _pick(SHORT[rating], u[2]).format(t=t), summary
    fill = {"t": t, "v": value, "minor": _pick(MINOR, u[3]), "issue": _pick(ISSUES, u[4])}
    bodies = BODIES[rating]
    first = int(u[5] * len(bodies))
    parts = [_pick(OPENERS[rating], u[2]), bodies[first]]
    if u[6] < 0.5:  # a second, different body sentence
        parts.append(bodies[(first + 1 + int(u[7] * (len(bodies) - 1))) % len(bodies)])
    parts.append(_pick(CLOSERS[rating], u[8]))
    return " ".join(p.format(**fill) for p in parts), summary


def _pick(options: list[str], u: float) -> str:
    return options[int(u * len(options))]


FIRST_NAMES = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Susan",
    "Carlos",
    "Maria",
    "Wei",
    "Aisha",
    "Raj",
    "Olga",
    "Kenji",
    "Fatima",
    "Liam",
    "Emma",
    "Noah",
    "Olivia",
    "Sofia",
    "Mateo",
    "Chloe",
    "Ethan",
    "Grace",
    "Hannah",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Moore",
    "Martin",
    "Lee",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Nguyen",
    "Patel",
]


def reviewer_name(u: list[float]) -> str:
    """A display name from 4 uniform draws."""
    first, last = _pick(FIRST_NAMES, u[1]), _pick(LAST_NAMES, u[2])
    if u[0] < 0.14:
        return "Amazon Customer"
    if u[0] < 0.16:
        return "Kindle Customer"
    if u[0] < 0.55:
        return f"{first} {last}"
    if u[0] < 0.8:
        return f"{first} {last[0]}."
    return f"{first.lower()}{10 + int(u[3] * 989)}"


BENEFITS = [
    "built for everyday use",
    "tested for long-lasting performance",
    "a reliable choice",
    "designed with comfort in mind",
    "made to last",
    "easy to use right out of the box",
]
GENERIC_FEATURES = [
    "Backed by a 1-year {b} warranty and friendly customer support",
    "Easy to clean and simple to store",
    "Makes a thoughtful gift for {use}",
    "Lightweight and compact design",
    "Satisfaction guaranteed or your money back",
]
DESCRIPTIONS = [
    "The {b} {t} is designed for {use}.",
    "Meet the {t} from {b}, made for {use}.",
    "This {t} by {b} is a dependable pick for {use}.",
]
DESCRIPTION_ATTR = [
    "It features {v} {a} and a durable build.",
    "Choose the {v} option to match your needs.",
    "With {v} {a}, it is ready for daily use.",
]
