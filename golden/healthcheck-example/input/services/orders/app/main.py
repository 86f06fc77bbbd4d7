import os

import httpx
import redis
from fastapi import FastAPI

app = FastAPI(title="shop-orders")
queue = redis.Redis.from_url(os.environ["REDIS_URL"])
CATALOG_URL = os.environ.get("CATALOG_URL", "http://catalog:8002")


@app.post("/orders")
def create_order(product_id: int, quantity: int = 1):
    products = httpx.get(f"{CATALOG_URL}/products").json()
    product = next(p for p in products if p["id"] == product_id)
    order = {"product_id": product_id, "total_cents": product["price_cents"] * quantity}
    queue.rpush("invoices", str(order))  # picked up by the worker
    return order
