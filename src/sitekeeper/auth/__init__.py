"""Accounts, roles and tenancy: who is asking, and which clients' data they may see."""
