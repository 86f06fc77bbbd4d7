import os

import jwt
from fastapi import FastAPI, HTTPException

app = FastAPI(title="shop-auth")
SECRET = os.environ.get("JWT_SECRET", "changeme")


@app.post("/login")
def login(username: str, password: str):
    # FIXME: real user table lookup; demo accounts only for now
    if password != "demo":
        raise HTTPException(status_code=401, detail="bad credentials")
    return {"token": jwt.encode({"sub": username}, SECRET, algorithm="HS256")}
