"""Real database failures for atomicity tests: a trigger that makes one kind of write to one table fail."""

from __future__ import annotations

from sqlalchemy.engine import Engine


def refuse(engine: Engine, name: str, when: str, table: str, message: str) -> None:
    """From now on every `when` ("INSERT", "UPDATE") on `table` fails with `message`; `name` names the trigger."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"CREATE TRIGGER {name} BEFORE {when} ON {table} "
                                 f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        else:
            conn.exec_driver_sql(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                                 f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$")
            conn.exec_driver_sql(f"CREATE TRIGGER {name} BEFORE {when} ON {table} "
                                 f"FOR EACH ROW EXECUTE FUNCTION {name}()")


def allow(engine: Engine, name: str, table: str) -> None:
    """Drop the trigger `refuse` made."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TRIGGER {name}" + ("" if conn.dialect.name == "sqlite" else f" ON {table}"))
