"""A refused progress update names what was wrong with it, and the action page marks that box.

The service says which detail of the update it refused (the text or the rating); the page
reads that, not the message. A rating sent for an action that has since finished is refused
as a rating, but the finished action's page asks for none, so it is told for the page as a
whole; text that is missing is marked at the text box.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_helpers import Council, csrf, sign_in

from improveflow import exceptions
from improveflow.models import Rag, Verdict
from improveflow.services import approvals, progress
from improveflow.stores import actions
from improveflow.workflow.details import Detail, DetailInvalid

OWEN = "owen@council.example"


def _finish(council: Council) -> None:
    """Owen's action in progress is completed, with CMT's approval."""
    ctx = council.ctx
    progress.record_progress(ctx, council.action_id, "Adopted", Rag.AMBER, by_email=OWEN)
    asked = approvals.request_change(ctx, council.action_id, "complete", by_email=OWEN)
    assert asked.request_id is not None
    approvals.decide(ctx, asked.request_id, Verdict.APPROVE, by_email="dana@council.example")


def _updates(council: Council) -> int:
    with council.ctx.database.reading() as session:
        return actions.progress_count(session, council.action_id)


@pytest.mark.parametrize(
    ("text", "rag", "finished", "detail"),
    [
        ("   ", None, False, Detail.PROGRESS_TEXT),
        ("x" * 20_001, None, False, Detail.PROGRESS_TEXT),
        ("Still adopted", Rag.GREEN, True, Detail.RATING),
    ],
    ids=["empty text", "text too long", "rating a finished action"],
)
def test_the_service_names_the_detail_it_refused(
    council: Council, text: str, rag: Rag | None, finished: bool, detail: Detail
) -> None:
    """Each refusal carries its detail and is still an invalid value to whoever catches those."""
    if finished:
        _finish(council)
    before = _updates(council)
    with pytest.raises(DetailInvalid) as refused:
        progress.record_progress(council.ctx, council.action_id, text, rag, by_email=OWEN)
    assert refused.value.detail is detail
    assert isinstance(refused.value, exceptions.InvalidValue)
    assert _updates(council) == before


def test_a_rating_that_is_not_one_is_refused_as_the_rating() -> None:
    with pytest.raises(DetailInvalid) as refused:
        progress.parse_rag("purple")
    assert refused.value.detail is Detail.RATING
    assert refused.value.message == "'purple' is not a RAG rating (green, amber or red)"


def test_a_rating_sent_for_a_finished_action_is_told_for_the_page(
    client: TestClient, council: Council
) -> None:
    """The page was opened while the action was in progress; it finished before the form was
    sent. Its page no longer asks for a rating, so the refusal links to no box."""
    sign_in(client, council, OWEN)
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    _finish(council)
    before = _updates(council)
    response = client.post(
        f"/actions/{council.action_id}/progress",
        data={"csrf_token": token, "text": "Still adopted", "rag": "green"},
    )
    assert response.status_code == 400
    message = (
        f"Action {council.action_id} is complete, so it takes no RAG rating; "
        "record the update without one"
    )
    assert f"<li>{message}</li>" in response.text
    assert 'href="#progress-rag"' not in response.text
    assert 'href="#progress-text"' not in response.text
    assert 'id="progress-text-error"' not in response.text
    assert ">Still adopted</textarea>" in response.text  # kept, to send again without a rating
    assert _updates(council) == before


def test_empty_text_is_marked_at_the_text_box(client: TestClient, council: Council) -> None:
    """The summary links to the text box, whose message sits beside it and describes it."""
    sign_in(client, council, OWEN)
    token = csrf(client.get(f"/actions/{council.action_id}").text)
    before = _updates(council)
    response = client.post(
        f"/actions/{council.action_id}/progress",
        data={"csrf_token": token, "text": "  ", "rag": "amber"},
    )
    assert response.status_code == 400
    message = "A progress update needs some text"
    assert f'<a href="#progress-text">{message}</a>' in response.text
    assert (
        '<p class="error-message" id="progress-text-error"><span class="visually-hidden">'
        f"Error:</span> {message}</p>"
    ) in response.text
    assert 'aria-describedby="progress-text-hint progress-text-error"' in response.text
    assert 'id="progress-rag-error"' not in response.text
    assert _updates(council) == before
