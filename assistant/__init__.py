"""Answers, eligibility rules and dialogue (see the assistant issue)."""
