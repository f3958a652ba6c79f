"""The service and the command line: what users and administrators touch."""
