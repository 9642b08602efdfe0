from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T21:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "every existing organisation gets a short code from its name; then unique"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="fairground", description=DESCRIPTION)

    async def run():
        # The rules of fairground.organisations, copied: a migration must not change
        # when the app's code does.
        import re
        import unicodedata

        def derive(name):
            plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            code = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
            return code[:36].strip("-") or "org"

        engine = engine_finder()
        rows = await engine.run_ddl("SELECT id, name, short_code FROM organisation ORDER BY id")
        taken = {r["short_code"] for r in rows if r["short_code"]}
        for row in rows:
            if row["short_code"]:
                continue
            base = derive(row["name"])
            code, n = base, 2
            while code in taken:
                code, n = f"{base}-{n}", n + 1
            taken.add(code)
            await engine.run_ddl(
                f"UPDATE organisation SET short_code = '{code}' WHERE id = {int(row['id'])}"
            )
        await engine.run_ddl(
            "CREATE UNIQUE INDEX organisation_short_code ON organisation (short_code)"
        )

    async def run_backwards():
        await engine_finder().run_ddl("DROP INDEX organisation_short_code")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
