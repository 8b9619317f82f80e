"""``python -m fairloop``: the command line."""

from fairloop.cli import main

main()
