"""Mostrador's blueprints, one per part of the sales cycle, plus accounts and the shop's own pages."""
def register_blueprints(app):
    # Imported here, not at the top: models.py imports sales.clock, and these modules import the models.
    from sales import languages, policy, search_index, security
    from sales.accounts import bp as accounts_bp
    from sales.api import bp as api_bp
    from sales.backup import bp as backup_bp
    from sales.bulk import bp as bulk_bp
    from sales.connect import bp as connect_bp
    from sales.connect import hooks_bp
    from sales.customers import bp as customers_bp
    from sales.documents import bp as documents_bp
    from sales.drafts import bp as drafts_bp
    from sales.global_search import bp as search_bp
    from sales.health import bp as health_bp
    from sales.leads import bp as leads_bp
    from sales.management import bp as management_bp
    from sales.messaging import bp as messaging_bp
    from sales.messaging import portal_bp
    from sales.negotiation import bp as negotiation_bp
    from sales.offline import bp as offline_bp
    from sales.onboarding import bp as onboarding_bp
    from sales.operations import bp as operations_bp
    from sales.pages import bp as pages_bp
    from sales.quotes import bp as quotes_bp
    from sales.quotes import catalog_bp
    from sales.support import bp as support_bp
    from sales.users import bp as users_bp

    for bp in (accounts_bp, users_bp, customers_bp, leads_bp, negotiation_bp, quotes_bp, catalog_bp, support_bp,
               management_bp, messaging_bp, portal_bp, pages_bp, health_bp, connect_bp, hooks_bp, api_bp,
               offline_bp, backup_bp, drafts_bp, search_bp, operations_bp, documents_bp, onboarding_bp,
               bulk_bp):
        app.register_blueprint(bp)
    search_index.register(app)   # keeps the search index current on every write
    # Token-authenticated: no cookie, so no cross-site request to forge.
    from extensions import csrf

    csrf.exempt(api_bp)
    # Every route needs a signed-in user unless its view is marked @public.
    app.before_request(policy.require_login_unless_public)
    # A public page's language switcher (?lang=de): the visitor's pick kept, then the same page again.
    app.before_request(languages.switch_visitor_language)
    app.after_request(security.add_security_headers)
