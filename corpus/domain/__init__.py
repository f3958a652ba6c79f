"""The domain every package shares: worker groups, skill levels and the worker profile.

It sits in ``corpus`` because both the assistant and the matcher build on it (dependencies
point api → assistant, matcher → corpus); places live next door in ``corpus.regions``.
"""
