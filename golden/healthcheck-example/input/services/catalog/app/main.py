import os

import psycopg2
from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/products")
def products():
    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    with conn, conn.cursor() as cur:
        cur.execute("SELECT id, name, price_cents FROM products ORDER BY name")
        rows = cur.fetchall()
    return jsonify([{"id": r[0], "name": r[1], "price_cents": r[2]} for r in rows])
