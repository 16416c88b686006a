"""AP: can this product question be answered from the review snippets shown? (AmazonQA, ePQA).

This module also owns `qa_questions`, the cleaned question view shared with answer generation,
so both tasks show the same snippets for the same question.
"""

from __future__ import annotations

import polars as pl

from ecinstruct.canonical import Canonical
from ecinstruct.tasks import common
from ecinstruct.tasks.base import Task, TaskContext, candidates

OPTIONS: tuple[str, ...] = ("yes", "no")
# AmazonQA ships ten snippets per question; more adds length, not signal. Snippets are cut at
# a word count so one long review cannot crowd the others out of the context window.
MAX_SNIPPETS = 10
MAX_SNIPPET_WORDS = 80


def _text(expr: pl.Expr) -> pl.Expr:
    """Whitespace-normalised text (so repeats are recognised); blank -> null."""
    return common.nonempty(expr.str.replace_all(r"\s+", " "))


def snippets(texts: pl.Expr, max_snippets: int) -> pl.Expr:
    """Clean a list of texts: no blanks, no repeats, at most `max_snippets`, each cut short."""
    return (
        texts.list.eval(common.truncate_words(pl.element(), MAX_SNIPPET_WORDS))
        .list.drop_nulls()
        .list.unique(maintain_order=True)
        .list.head(max_snippets)
    )


def qa_input(evidence: str = "evidence") -> pl.Expr:
    """The input object ECInstruct uses for product QA: question and review snippets."""
    return common.json_object(
        {
            "question": common.json_value(pl.col("question")),
            "review snippets": common.json_list(pl.col(evidence)),
        }
    )


@common.shared("questions", "products")
def qa_questions(canonical: Canonical) -> pl.DataFrame:
    """Questions (canonical order, `_row`) with normalised question text, non-blank answers,
    a category and `_has_evidence`. Snippets are left raw: cleaning them is the expensive
    step, done by `with_snippets` once the candidates are capped."""
    # The question's own category when the source gives one, else its product's.
    product_category = (
        canonical["products"]
        .select("product_id", common.nonempty(pl.col("category")).alias("_pcat"), "source")
        .filter(pl.col("_pcat").is_not_null())
        .sort("product_id", "source", "_pcat")
        .unique("product_id", keep="first", maintain_order=True)
        .drop("source")
    )
    return (
        canonical["questions"]
        .with_row_index("_row")
        .with_columns(
            _text(pl.col("question")).alias("question"),
            pl.col("evidence").fill_null([]),
            pl.col("answers")
            .fill_null([])
            .list.eval(_text(pl.element()))
            .list.drop_nulls()
            .alias("answers"),
        )
        .with_columns(
            # Same test as `snippets` keeps (a non-blank text), without the cost of cleaning.
            pl.col("evidence")
            .list.eval(pl.element().str.strip_chars().str.len_chars() > 0)
            .list.any()
            .fill_null(False)
            .alias("_has_evidence"),
            # What makes two questions the same sample (identical input).
            pl.struct(
                "product_id",
                pl.col("question").str.to_lowercase(),
                pl.col("evidence")
                .list.eval(pl.element().str.strip_chars())
                .list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
                .list.unique(maintain_order=True),
            ).alias("_same"),
        )
        .join(product_category, on="product_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce(common.nonempty(pl.col("category")), "_pcat").alias("category"))
        .drop("_pcat")
    )


def with_snippets(qs: pl.DataFrame) -> pl.DataFrame:
    """Clean the snippets of usable questions; dropped ones (unbounded in number, e.g. every
    unanswerable question) skip the cost and show their question alone."""
    usable = pl.col("drop_reason").is_null()
    cleaned = qs.filter(usable).with_columns(snippets(pl.col("evidence"), MAX_SNIPPETS))
    dropped = qs.filter(~usable).with_columns(
        pl.lit([], dtype=pl.List(pl.String)).alias("evidence")
    )
    return pl.concat([cleaned, dropped], how="vertical").sort("_row")


def no_evidence_after_cleaning(snippets_col: str) -> pl.Expr:
    """The cheap test before capping can miss a question whose snippets all clean to nothing."""
    return pl.coalesce(
        "drop_reason",
        pl.when(pl.col(snippets_col).list.len() == 0).then(pl.lit("no_evidence")),
    )


def first_usable(qs: pl.DataFrame, reason: pl.Expr) -> pl.DataFrame:
    """`qs` with `drop_reason`: `reason`, or "duplicate_question" for a usable row repeating an
    earlier usable one (same product, question and snippets: the same input, maybe with another
    label). `reason` is computed once, as a column, then compared."""
    qs = qs.with_columns(drop_reason=reason)
    usable = pl.col("drop_reason").is_null()
    first = pl.struct("_same", usable).is_first_distinct()
    return qs.with_columns(
        drop_reason=pl.when(usable & ~first)
        .then(pl.lit("duplicate_question"))
        .otherwise(pl.col("drop_reason"))
    )


def cap(qs: pl.DataFrame, ctx: TaskContext, salt: str) -> pl.DataFrame:
    """At most `ctx.caps` usable questions per OOD side, back in canonical order."""
    return common.subsample(
        qs,
        ctx.caps,
        key=["source", "question_id", "product_id", "question"],
        seed=ctx.seed,
        salt=salt,
        ood=ctx.is_ood(pl.col("product_id")),
        mixed=pl.lit(False),
    ).sort("_row")


def build(canonical: Canonical, ctx: TaskContext) -> pl.DataFrame:
    qs = qa_questions(canonical)
    reason = common.first_reason(
        (pl.col("question").is_null(), "missing_question"),
        (pl.col("answerable").is_null(), "unknown_answerability"),
        (~pl.col("_has_evidence"), "no_evidence"),
    )
    qs = with_snippets(cap(first_usable(qs, reason), ctx, "answerability_prediction"))
    return candidates(
        qs.with_columns(
            input=qa_input(),
            options=pl.lit(list(OPTIONS), dtype=pl.List(pl.String)),
            output=pl.when(pl.col("answerable").is_null())
            .then(None)
            .when(pl.col("answerable"))
            .then(pl.lit("yes"))
            .otherwise(pl.lit("no")),
            product_ids=pl.concat_list("product_id"),
            group=pl.col("product_id"),
            drop_reason=no_evidence_after_cleaning("evidence"),
        )
    )


TASK = Task(
    name="answerability_prediction",
    short="AP",
    version="1",
    description="Decide whether a product question can be answered from the review snippets "
    "shown (AmazonQA, ePQA).",
    tables=("questions",),
    input_desc='JSON object {"question", "review snippets": [up to 10 snippets of <= 80 words]}',
    output_desc="yes if the snippets answer the question, else no",
    metric="f1_yes",
    output_format="option",
    split_key="product_id: all questions about one product land in the same split",
    build=build,
    options=OPTIONS,
    n_options=len(OPTIONS),
    has_ood=True,
)
