"""The review plan: where a human should stay in the loop, at a review budget.

Built on the count cube alone, after the metrics: a random quality sample sized by power,
a floor of oversight per group and targeted review where a reviewer is expected to catch
most model errors, compared with the log's current routing and a score-only one; the
auditor's sample-size calculator; and the routing table a production system applies.
"""

from fairloop.plan._plan import ROUTINGS, ReviewPlan, review_plan
from fairloop.plan._routing import read_routing, routing_schema
from fairloop.plan._sample_size import SAMPLE_SIZE_COLUMNS, sample_sizes

__all__ = [
    "ROUTINGS",
    "SAMPLE_SIZE_COLUMNS",
    "ReviewPlan",
    "read_routing",
    "review_plan",
    "routing_schema",
    "sample_sizes",
]
