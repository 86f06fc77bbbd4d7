import os
import smtplib

from celery import Celery

app = Celery("shop", broker=os.environ["REDIS_URL"])


@app.task
def send_invoice(email: str, order_id: int):
    with smtplib.SMTP(os.environ.get("SMTP_HOST", "localhost")) as smtp:
        smtp.sendmail("shop@example.com", [email], f"Subject: Invoice #{order_id}\n\nThanks!")
