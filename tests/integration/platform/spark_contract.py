"""Uses the platform the way the spark-iceberg client will: a SparkSession with the locked jars and a
Nessie catalog on S3FileIO, then namespace, partitioned table, INSERT, read back, MERGE INTO, a Nessie
branch written to and merged back.

Input (stdin, JSON): {"conf": {spark conf}, "catalog": "nessie", "namespace": "...", "table": "...",
"branch": "...", "mode": "contract" | "create-only"}. The process environment is the image's ENV (the
test parses it from the Dockerfile). Output (stdout): one JSON object per line, {"step": ..., ...};
the last line is {"done": true, ...} or {"failed": step, "error": ...}.
"""
import json
import sys
import time
import traceback


def emit(**fields):
    print(json.dumps(fields, default=str), flush=True)


def main():
    spec = json.load(sys.stdin)
    cat, ns, table, branch = spec["catalog"], spec["namespace"], spec["table"], spec["branch"]
    fq = f"{cat}.{ns}.{table}"
    step = "session"
    try:
        from pyspark.sql import SparkSession

        started = time.monotonic()
        builder = SparkSession.builder.appName("platform-contract").master("local[2]")
        for key, value in spec["conf"].items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("WARN")
        emit(step=step, seconds=round(time.monotonic() - started, 1), sparkVersion=spark.version)

        def sql(statement):
            return spark.sql(statement).collect()

        def timed(name, fn):
            nonlocal step
            step = name
            t = time.monotonic()
            result = fn()
            emit(step=name, seconds=round(time.monotonic() - t, 2), **(result or {}))

        timed("create namespace", lambda: sql(f"CREATE NAMESPACE IF NOT EXISTS {cat}.{ns}") and None)
        timed(
            "create partitioned table",
            lambda: sql(
                f"CREATE TABLE {fq} (id BIGINT, category STRING, amount DECIMAL(10,2), day DATE) "
                f"USING iceberg PARTITIONED BY (category, days(day))"
            )
            and None,
        )
        if spec.get("mode") == "create-only":
            emit(done=True)
            return

        timed(
            "insert",
            lambda: sql(
                f"INSERT INTO {fq} VALUES "
                "(1, 'books', 12.50, DATE '2026-11-01'), (2, 'books', 7.25, DATE '2026-11-02'), "
                "(3, 'games', 59.99, DATE '2026-11-02'), (4, 'music', 9.99, DATE '2026-11-03')"
            )
            and None,
        )

        def rows():
            return [
                [r["id"], r["category"], str(r["amount"]), str(r["day"])]
                for r in spark.sql(f"SELECT * FROM {fq} ORDER BY id").collect()
            ]

        timed("read back", lambda: {"rows": rows()})

        def merge():
            spark.createDataFrame(
                [(2, "books", 8.00, "2026-11-02"), (5, "games", 19.99, "2026-11-04")],
                "id BIGINT, category STRING, amount DOUBLE, day STRING",
            ).createOrReplaceTempView("changes")
            sql(
                f"MERGE INTO {fq} t USING (SELECT id, category, CAST(amount AS DECIMAL(10,2)) amount, "
                f"CAST(day AS DATE) day FROM changes) s ON t.id = s.id "
                "WHEN MATCHED THEN UPDATE SET t.amount = s.amount "
                "WHEN NOT MATCHED THEN INSERT *"
            )
            return {"rows": rows()}

        timed("merge into", merge)

        def create_branch():
            out = sql(f"CREATE BRANCH IF NOT EXISTS {branch} IN {cat} FROM main")
            return {"result": [list(r) for r in out]}

        timed("create branch", create_branch)

        def write_on_branch():
            sql(f"USE REFERENCE {branch} IN {cat}")
            sql(f"INSERT INTO {fq} VALUES (6, 'music', 4.50, DATE '2026-11-05')")
            on_branch = [r[0] for r in sql(f"SELECT id FROM {fq} ORDER BY id")]
            sql(f"USE REFERENCE main IN {cat}")
            on_main = [r[0] for r in sql(f"SELECT id FROM {fq} ORDER BY id")]
            return {"idsOnBranch": on_branch, "idsOnMain": on_main}

        timed("write on branch", write_on_branch)

        def merge_branch():
            out = sql(f"MERGE BRANCH {branch} INTO main IN {cat}")
            sql(f"USE REFERENCE main IN {cat}")
            return {"result": [list(r) for r in out], "rows": rows()}

        timed("merge branch", merge_branch)

        def files():
            data = [r[0] for r in sql(f"SELECT file_path FROM {fq}.files")]
            snapshots = [r[0] for r in sql(f"SELECT snapshot_id FROM {fq}.snapshots")]
            partitions = sorted(str(r[0]) for r in sql(f"SELECT partition FROM {fq}.partitions"))
            log = [list(r) for r in sql(f"SHOW LOG main IN {cat}")]
            location = sql(f"DESCRIBE TABLE EXTENDED {fq}")
            loc = next((r[1] for r in location if r[0] == "Location"), None)
            return {
                "dataFiles": data,
                "snapshots": len(snapshots),
                "partitions": partitions,
                "location": loc,
                "mainCommits": len(log),
            }

        timed("table files", files)
        spark.stop()
        emit(done=True)
    except Exception as error:  # noqa: BLE001 - reported to the test as data
        emit(failed=step, error=f"{type(error).__name__}: {error}", trace=traceback.format_exc()[-4000:])
        sys.exit(1)


if __name__ == "__main__":
    main()
