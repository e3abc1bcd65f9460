"""Demo data for `make run`: accounts for each role, built through the services."""

from tasks.choices import Role
from tasks.services.accounts import create_user

DEMO_PASSWORD = "rectify-demo-2017"

ACCOUNTS = [
    ("admin", Role.ADMIN, None),
    ("office", Role.OFFICE, None),
    ("leader", Role.LEADER, None),
    ("jinzhong", Role.LIAISON, "晋中市"),
    ("jinzhong_lead", Role.UNIT_LEADER, "晋中市"),
    ("linfen", Role.LIAISON, "临汾市"),
    ("linfen_lead", Role.UNIT_LEADER, "临汾市"),
    ("fgw", Role.LIAISON, "省发改委"),
    ("fgw_lead", Role.UNIT_LEADER, "省发改委"),
]


def load_demo(stdout=None):
    made = []
    for username, role, unit in ACCOUNTS:
        create_user(username, role=role, unit=unit, password=DEMO_PASSWORD, email=f"{username}@example.gov.cn")
        made.append((username, Role(role).label, unit))
    return made
