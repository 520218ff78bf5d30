"""/hooks/whatsapp: Meta's WhatsApp Business Cloud API webhook.

GET is Meta's one-time check of the URL (hub.verify_token must match WHATSAPP_VERIFY_TOKEN; echo hub.challenge).
POST carries messages, signed with the app secret; anything unsigned or signed wrongly is refused with 401.
Without both settings the hook does not exist (404): a shop not on WhatsApp Business exposes nothing.
"""
import hmac
import json

from flask import abort, current_app, request

from extensions import csrf, db
from sales.connect import hooks_bp, whatsapp
from sales.policy import public


def _configured():
    config = current_app.config
    if not (config.get("WHATSAPP_VERIFY_TOKEN") and config.get("WHATSAPP_APP_SECRET")):
        abort(404)
    return config


@hooks_bp.route("/whatsapp", methods=["GET", "POST"])
@public
@csrf.exempt
def whatsapp_hook():
    config = _configured()
    if request.method == "GET":
        token = request.args.get("hub.verify_token", "")
        if request.args.get("hub.mode") != "subscribe" or not hmac.compare_digest(
                token.encode(), config["WHATSAPP_VERIFY_TOKEN"].encode()):
            return "Verify token does not match", 403, {"Content-Type": "text/plain; charset=utf-8"}
        return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain; charset=utf-8"}

    raw = request.get_data(cache=False)
    if not whatsapp.signature_is_valid(raw, request.headers.get("X-Hub-Signature-256"),
                                       config["WHATSAPP_APP_SECRET"]):
        return {"error": "bad signature"}, 401
    try:
        payload = json.loads(raw)
    except ValueError:
        return {"error": "not JSON"}, 400
    filed = {"customer": 0, "lead": 0, "duplicate": 0}
    for message, profile_name in whatsapp.messages_in(payload):
        filed[whatsapp.take_in(message, profile_name)] += 1
    db.session.commit()
    # Meta retries anything but a 200 for days: a payload without messages (a delivery status) is fine too.
    return filed, 200
