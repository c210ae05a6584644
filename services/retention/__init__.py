"""The retention service: policies, plans, applies, holds and the audit log over HTTP (``create_app``)."""
