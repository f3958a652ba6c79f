"""Question understanding and clause reading: what a question asks, what the asker says of
themselves, and what the answering clause grants, forbids or conditions. Each module reads
one kind of thing; ``features`` puts them side by side for the verdict and answerability
models, which are learned from the team's written questions (``assistant/data/team_qa``)."""
