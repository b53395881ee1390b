"""The REST API under /api/v1: one module per resource, each with an APIRouter, included here."""

from __future__ import annotations

from fastapi import APIRouter

api_router = APIRouter()
