"""Test doubles: a stand-in Telegram Bot API server and a scripted conversation core."""
