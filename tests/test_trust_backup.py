"""`flask --app crm backup PATH` / `restore PATH` (docs/product.md#trust): every table round-trips, on SQLite
and PostgreSQL, and the backup is taken while the app keeps writing."""
import threading

from sqlalchemy import text

from crm.extensions import db
from crm.services import contacts as contact_service
from crm.services import manage, outbox


def _every_table() -> dict[str, list[tuple]]:
    db.session.expire_all()
    return {table.name: sorted(map(tuple, db.session.execute(table.select()).all()), key=repr)
            for table in db.metadata.sorted_tables}


def _some_of_everything(users, make_contact):
    contact = make_contact(users["agent"], "Back", "Up", emails=["back.up@example.com"], phones=["813-555-0100"],
                           zip="33602", street="1 Safe St")
    contact_service.record_lead(contact, "Showing Request", message="Saturday?")
    manage.perform(users["manager"], "hand_off", contact, users["agent2"].id)
    outbox.enqueue_email("agent@demo.test", "Hello", "Body", kind="alert")
    db.session.commit()


def test_backup_and_restore_round_trip_every_table(app, tmp_path, users, make_contact):
    _some_of_everything(users, make_contact)
    before = _every_table()
    assert sum(map(len, before.values())) > 10
    backup_file = tmp_path / "crm.backup"
    runner = app.test_cli_runner()

    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    make_contact(users["agent"], "After", "Backup")
    db.session.execute(text("DELETE FROM activity_log"))
    db.session.commit()
    assert _every_table() != before

    result = runner.invoke(args=["restore", "--yes", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert _every_table() == before


def test_a_backup_while_the_app_writes_is_consistent(app, tmp_path, users, make_contact, login_as):
    _some_of_everything(users, make_contact)
    stop, errors = threading.Event(), []

    client, agent_id = login_as(users["agent"]), users["agent"].id

    def keep_writing():
        with app.app_context():
            number = 0
            while not stop.is_set():
                number += 1
                response = client.post("/contacts/new", {"lead_source": "Broker", "lead_assignment": agent_id,
                                                         "name": f"Busy Writer{number}", "status": "Assigned",
                                                         "buy_sell_rent": "", "financing": ""})
                if response.status_code != 302:
                    errors.append(response.status_code)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "live.backup")])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert errors == []
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(tmp_path / "live.backup")])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    # Each Add Lead wrote a contact, its lead and its lead count in one transaction: all or nothing.
    torn = db.session.scalar(text("SELECT count(*) FROM contacts WHERE lead_count <> "
                                  "(SELECT count(*) FROM leads WHERE leads.contact_id = contacts.id)"))
    assert torn == 0



def test_restore_refuses_a_missing_file(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(tmp_path / "nope.backup")])
    assert result.exit_code != 0 and "not a backup file" in result.output
