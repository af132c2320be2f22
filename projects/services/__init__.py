"""The write operations of micro-projects, one module per part of the life:

- ``proposals``: propose, support, table, merge, withdraw; photos;
- ``consultations``: meetings, agenda, attendance, votes, closing with computed results;
- ``delivery``: the decision, town review, listing, progress, acceptance, ratings, cancel;
- ``agenda``: putting a tabled proposal on the next meeting (shared by the two above).
"""
