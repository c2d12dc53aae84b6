"""Thin views: validate a form, call one service, map refusals to messages, redirect."""
