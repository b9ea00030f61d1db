"""``python -m asynction``: the command-line interface."""

from asynction.cli import main

if __name__ == "__main__":
    main()
