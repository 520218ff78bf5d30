"""Lead imports are routed by the branch rules, like web-form leads (issue 21): a new lead with no seller in the
file lands in the branch the owner's rule says and with its seller (round robin here); a closed deal of the past
only gets its branch; a row naming its seller keeps them; and the import's summary says how many went where."""
import re

from sqlalchemy import select

from extensions import db
from models import Branch, BranchRule, Lead, Team, User
from tests.conftest import text_of
from tests.test_history_import import post_file, run_steps, selected

FILE = (b"customer,email,city,title,seller,stage\n"
        b"Ana Ruiz,ana@example.com,Toledo,City bike,,Prospecting\n"
        b"Bea Gil,bea@example.com,Toledo,Cargo bike,,Prospecting\n"
        b"Carla Paz,carla@example.com,Toledo,Helmet,,Prospecting\n"
        b"Dani Sol,dani@example.com,Madrid,E-bike,,Prospecting\n"
        b"Eva Mar,eva@example.com,Toledo,Old sale,,Won\n"
        b"Fran Oro,fran@example.com,Toledo,Lock,Sara Toledo,Prospecting\n")


def test_imported_leads_without_a_seller_are_routed_by_the_branch_rules(app, as_owner, make_user):
    sara, tomas = make_user("seller", name="Sara Toledo"), make_user("seller", name="Tomás Toledo")
    with app.app_context():
        branch = Branch(name="Toledo", assignment="round_robin")
        db.session.add(branch)
        db.session.flush()
        team = Team(name="Toledo floor", branch_id=branch.id)
        db.session.add_all([team, BranchRule(branch_id=branch.id, field="city", value="toledo")])
        db.session.flush()
        for person in (sara, tomas):
            db.session.get(User, person.id).team_id = team.id
        db.session.commit()
        branch_id = branch.id
    response = post_file(as_owner, "/leads/import", FILE, name="leads.csv")
    assert response.status_code == 303, text_of(response)
    job_id = int(re.search(r"/import/(\d+)", response.location).group(1))
    html = as_owner.get(response.location).get_data(as_text=True)
    form = {f"map-{t}": selected(html, f"map-{t}") for t in ("customer", "email", "city", "title", "seller", "stage")}
    assert all(form.values()), form
    response = as_owner.post(f"/leads/import/{job_id}", data={**form, "date_format": "dmy", "duplicates": "merge",
                                                               "without_customer": "skip", "action": "values"})
    assert response.status_code == 303, text_of(response)
    assert as_owner.post(f"/leads/import/{job_id}/values", data={"action": "start"}).status_code == 303
    run_steps(as_owner, job_id, "Import the good rows")
    as_owner.post(f"/leads/import/{job_id}/step", data={"action": "import"})
    summary = text_of(run_steps(as_owner, job_id, "Import finished"))
    # Three open Toledo leads by round robin (Sara, Tomás, Sara) and the won one with no seller: four to Toledo.
    assert "4 leads with no seller in the file routed to Toledo: Sara Toledo 2, Tomás Toledo 1" in summary
    with app.app_context():
        leads = {lead.title: lead for lead in db.session.scalars(select(Lead))}
        assert [leads[t].seller_id for t in ("City bike", "Cargo bike", "Helmet")] == [sara.id, tomas.id, sara.id]
        assert all(leads[t].branch_id == branch_id for t in ("City bike", "Cargo bike", "Helmet", "Old sale"))
        assert leads["Old sale"].seller_id is None              # a deal of the past: its branch, not a turn
        assert leads["E-bike"].branch_id is None and leads["E-bike"].seller_id is None   # no rule for Madrid
        assert leads["Lock"].seller_id == sara.id and leads["Lock"].branch_id is None   # the file's seller stays
        customer = leads["Cargo bike"].customer
        assert customer.branch_id == branch_id and customer.owner_id == tomas.id
