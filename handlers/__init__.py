"""Thin Telegram callbacks: the gate, commands, the compose conversation, approvals."""
