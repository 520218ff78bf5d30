"""Command-line tools: `flask --app app demo`, `create-owner`, `move-files`, and the cron line `flask run-imports`."""
import secrets

import click
from flask import current_app

from extensions import db
from sales.cron import job


def register(app):
    @app.cli.command("demo")
    @click.option("--customers", default=50, show_default=True, help="How many demo customers.")
    def demo_command(customers):
        """Fill an empty database with a small bicycle shop to explore."""
        from sales.accounts.rules import has_users
        from sales.demo import create_demo_staff, fill_demo_shop

        if has_users():
            raise click.ClickException(
                "This shop already has users; the demo only fills an empty database. "
                "Point DATABASE_URL at a new database to try it."
            )
        # A fresh random password each time: even a demo database must not open with a known password.
        password = current_app.config.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
        staff = create_demo_staff(password)
        fill_demo_shop(staff[0], customers=customers)
        from models import ShopSetting

        shop = ShopSetting.get("shop_name", current_app.config["SHOP_NAME"])
        click.echo(f"Demo shop ready: {shop}. Sign in at http://127.0.0.1:5000 as any of them, to try each role:")
        for user in staff:
            click.echo(f"  {user.name:18} {user.role:8} {user.email:32} password: {password}")

    @app.cli.command("create-owner")
    @click.option("--name", prompt=True)
    @click.option("--email", prompt=True)
    @click.password_option()
    def create_owner(name, email, password):
        """Create an owner account (for scripted installs; the first-run page does the same)."""
        from models import User
        from sales.accounts.rules import find_user_by_email

        if find_user_by_email(email):
            raise click.ClickException(f"A user with the email {email} exists already.")
        user = User(name=name, email=email, role="owner")
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        click.echo(f"Owner {email} created.")

    @app.cli.command("run-imports")
    @click.option("--max-seconds", default=50, show_default=True,
                  help="Stop taking chunks after this long (the next run carries on): fits a cron line a minute.")
    @job("run-imports")
    def run_imports(max_seconds):
        """Carry on the imports being checked or imported, chunk by chunk, whether or not their page is open. Safe
        to run on several machines at once: each chunk is taken by one run."""
        from sales.import_jobs import run_pending
        from sales.operations.jobs import Outcome

        chunks, finished = run_pending(max_seconds=max_seconds)
        return Outcome(f"Imports: {chunks} chunks done, {finished} steps finished.",
                       {"chunks": chunks, "finished": finished})

    @app.cli.command("move-files")
    @click.option("--to", "to", type=click.Choice(["s3", "folder"]), required=True,
                  help="s3: from instance/attachments into the bucket of STORAGE_URL; folder: back again.")
    def move_files_command(to):
        """Move the stored files (ticket photos, documents) between the instance folder and the bucket.

        Each copy is read back and its SHA-256 compared with the original's; the originals are deleted only when
        every copy matched. Safe to run again: files already copied are not copied twice.
        """
        from sales import storage

        try:
            bucket = storage.bucket()
        except storage.StorageError as exc:
            raise click.ClickException(str(exc)) from None
        folder = storage.folder()
        source, target = (folder, bucket) if to == "s3" else (bucket, folder)
        report = storage.move_files(source, target)
        click.echo(f"Copied {report.copied} file(s) ({report.bytes / storage.MB:.1f} MB) from {source} to {target}; "
                   f"{report.already_there} already there with the same SHA-256"
                   + (f"; {report.vanished} deleted meanwhile" if report.vanished else "") + ".")
        if report.mismatched:
            raise click.ClickException(
                f"{len(report.mismatched)} copy/copies differ from the original (SHA-256): "
                + ", ".join(report.mismatched[:5]) + f". Nothing was deleted from {source}; run the command again.")
        click.echo(f"Every copy matches its original (SHA-256); deleted {report.deleted} file(s) from {source}.")
        arrived = source.names()
        if arrived:   # uploaded while the move ran, by servers not yet switched over
            click.echo(f"  {len(arrived)} file(s) arrived in {source} meanwhile: run the command again.")
        lacking = storage.named_in_database() - set(target.names()) - set(arrived)
        if lacking:
            click.echo(f"  warning: {len(lacking)} file(s) named in the database are in neither place: "
                       + ", ".join(sorted(lacking)[:5]))
