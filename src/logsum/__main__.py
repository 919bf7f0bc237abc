"""``python -m logsum``: the ``logsum`` command."""

from logsum.cli import main

if __name__ == "__main__":
    main()
