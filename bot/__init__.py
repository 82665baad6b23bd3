"""Telegram bot for approved SMS broadcasts to IPPanel phonebooks."""
