"""Exactly-once sending: every email is claimed by one run, recorded as handed over before the server takes it,
and a run that resumes after a kill (or overlaps another) never sends it again. Counted at a real SMTP server."""
from datetime import timedelta
from email import message_from_bytes, policy

from sqlalchemy import select, update

from extensions import db
from models import Campaign, CampaignRecipient, OutgoingEmail, utcnow
from sales.messaging import campaigns, outbox
from tests.conftest import text_of
from tests.mail_servers import SMTPServer
from tests.test_campaigns import new_campaign


def _queue(app, count, prefix="c"):
    with app.app_context():
        ids = [outbox.enqueue(f"{prefix}{n}@example.com", f"Hello {n}", "Body").id for n in range(count)]
        db.session.commit()
        return ids


def _set(app, email_id, **values):
    with app.app_context():
        db.session.execute(update(OutgoingEmail).where(OutgoingEmail.id == email_id).values(**values))
        db.session.commit()


def _emails(app):
    with app.app_context():
        rows = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
        db.session.expunge_all()
        return rows


def test_the_message_id_is_recorded_when_queued_and_is_the_one_the_server_gets(app, smtp_settings):
    _queue(app, 1)
    (queued,) = _emails(app)
    assert queued.message_id and queued.message_id.startswith("<") and queued.message_id in queued.raw.decode()
    with SMTPServer() as server:
        smtp_settings(server.port)
        with app.app_context():
            assert outbox.drain_queue().sent == 1
    (envelope,) = server.messages
    assert message_from_bytes(envelope.original_content, policy=policy.default)["Message-ID"] == queued.message_id
    (sent,) = _emails(app)
    assert sent.status == "sent" and sent.handed_at is not None and sent.claim_token is None


def test_an_email_another_run_holds_is_left_to_it(app, smtp_settings):
    held, free = _queue(app, 2)
    _set(app, held, status="sending", claim_token="another-run", claimed_at=utcnow())
    with SMTPServer() as server:
        smtp_settings(server.port)
        with app.app_context():
            assert outbox.drain_queue().sent == 1
    assert [m.rcpt_tos for m in server.messages] == [["c1@example.com"]]
    assert [e.status for e in _emails(app)] == ["sending", "sent"]


def test_a_killed_run_is_resumed_without_sending_twice(app, smtp_settings):
    """The three moments a run can die at: after claiming (not handed), after handing over (not marked), and
    after marking. Only the first is sent again."""
    claimed, handed, done = _queue(app, 3)
    long_ago = utcnow() - timedelta(seconds=app.config["MAIL_CLAIM_SECONDS"] + 60)
    _set(app, claimed, status="sending", claim_token="dead-run", claimed_at=long_ago, attempts=1)
    _set(app, handed, status="sending", claim_token="dead-run", claimed_at=long_ago, handed_at=long_ago,
         attempts=1)
    _set(app, done, status="sent", sent_at=long_ago, attempts=1)
    with SMTPServer() as server:
        smtp_settings(server.port)
        with app.app_context():
            result = outbox.drain_queue()
    assert result.sent == 1 and [m.rcpt_tos for m in server.messages] == [["c0@example.com"]]
    rows = _emails(app)
    assert [e.status for e in rows] == ["sent", "sent", "sent"]
    assert rows[0].attempts == 2 and rows[1].sent_at == long_ago


def test_a_run_whose_claim_was_taken_over_does_not_finish_the_message(app, smtp_settings, monkeypatch):
    """A run so slow that its lease ran out finds, at the moment of handing over, that another run holds the
    email: it hangs up before the final ".", so the server throws the unfinished message away."""
    (email_id,) = _queue(app, 1)
    real_hand_over = outbox._hand_over

    def taken_over_meanwhile(server, email, mark_handed):
        def mark(send_dot):
            _set(app, email_id, claim_token="faster-run")
            return mark_handed(send_dot)
        return real_hand_over(server, email, mark)

    monkeypatch.setattr(outbox, "_hand_over", taken_over_meanwhile)
    with SMTPServer() as server:
        smtp_settings(server.port)
        with app.app_context():
            result = outbox.drain_queue()
    assert result.sent == 0 and server.messages == []
    (row,) = _emails(app)
    assert row.status == "sending" and row.claim_token == "faster-run" and row.handed_at is None


def test_a_server_that_drops_the_line_before_the_end_keeps_the_email_queued(app, smtp_settings, monkeypatch):
    _queue(app, 2)

    def drop_line(server, email, mark_handed):
        server.sock.close()
        raise OSError("connection reset")

    monkeypatch.setattr(outbox, "_hand_over", drop_line)
    with SMTPServer() as server:
        smtp_settings(server.port)
        with app.app_context():
            result = outbox.drain_queue()
    assert not result.ok and server.messages == []
    first, second = _emails(app)
    assert first.status == second.status == "queued" and first.claim_token is None
    assert first.attempts == 1 and second.attempts == 1 and "reset" in first.last_error


def test_campaign_recipients_are_claimed_with_their_email_in_one_step(as_owner, make_customer, app, runner,
                                                                       smtp_settings):
    for n in range(campaigns.BATCH_SIZE + 5):
        make_customer(f"Cliente {n:02d}", email=f"c{n}@example.com", city="Cuenca", email_opt_in=True)
    campaign_id = new_campaign(as_owner, city="Cuenca")
    with app.test_request_context():
        campaign = db.session.get(Campaign, campaign_id)
        campaigns.start(campaign)
        db.session.commit()
        # A run that died after queueing its batch: recipients done exactly when their email is in the outbox.
        queued = campaigns.queue_batch(campaign, lambda c: "http://shop.example/u", size=10)
        assert len(queued) == 10
        recipients = db.session.scalars(select(CampaignRecipient).where(CampaignRecipient.done)).all()
        assert sorted(r.email_id for r in recipients) == sorted(e.id for e in queued)
        campaigns.remember_public_address("http://localhost/")
        db.session.commit()
    with SMTPServer() as server:
        smtp_settings(server.port)
        outcome = runner.invoke(args=["send-mail"])
        again = runner.invoke(args=["send-mail"])
    assert outcome.exit_code == 0 and again.exit_code == 0, outcome.output + again.output
    delivered = sorted(address for m in server.messages for address in m.rcpt_tos)
    assert delivered == sorted(f"c{n}@example.com" for n in range(campaigns.BATCH_SIZE + 5))
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "done"


def test_a_line_break_in_a_campaign_subject_is_a_field_error(as_owner):
    from tests.test_campaigns import campaign_form

    response = as_owner.post("/mail/campaigns/new", data=campaign_form(subject="Spring\r\nBcc: all@evil.example"))
    assert response.status_code == 422
    assert "Keep this on one line." in text_of(response)


def test_a_stored_subject_with_a_line_break_goes_out_on_one_line(as_owner, make_customer, app, runner,
                                                                 smtp_settings):
    make_customer("Ana", email="ana@example.com", city="Cuenca", email_opt_in=True,
                  contact_person="Ana\nBcc: all@evil.example")
    campaign_id = new_campaign(as_owner, city="Cuenca", subject="Hello {name}")
    with app.app_context():
        db.session.execute(update(Campaign).where(Campaign.id == campaign_id)
                           .values(subject="Spring\r\nsale for {name}"))
        db.session.commit()
    with SMTPServer() as server:
        smtp_settings(server.port)
        assert as_owner.post(f"/mail/campaigns/{campaign_id}/send").status_code == 303
        assert runner.invoke(args=["send-mail"]).exit_code == 0
    (envelope,) = server.messages
    assert envelope.rcpt_tos == ["ana@example.com"]
    received = message_from_bytes(envelope.original_content, policy=policy.default)
    assert received["Subject"] == "Spring sale for Ana Bcc: all@evil.example"
    assert received["Bcc"] is None
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "done"
