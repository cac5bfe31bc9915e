"""What auditors do, reading only: export and load histories (`history`), replay them against
today's code (`replay`), reconstruct a timeline (`timeline`), check the register (`verify`)."""
