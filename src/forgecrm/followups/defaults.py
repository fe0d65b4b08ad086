"""The ready-made follow-up sequences (the plan's onboarding, project completion, upselling).

Created by services.ensure_default_sequences (`seed_demo`, or the button on the sequences
page) and edited like any other sequence afterwards.
"""

from forgecrm.emails import defaults as templates

EMAIL, TASK = "email", "task"

DEFAULT_SEQUENCES: list[dict] = [
    {
        "name": "New client onboarding",
        "description": "Welcome a new client on days 1, 3, 7 and 14.",
        "steps": [
            {"days": 1, "kind": EMAIL, "template": "Welcome aboard"},
            {"days": 3, "kind": EMAIL, "template": templates.ONBOARDING_GETTING_STARTED},
            {
                "days": 7,
                "kind": TASK,
                "task_title": "Onboarding check-in call",
                "task_type": "call",
                "priority": "high",
            },
            {"days": 14, "kind": EMAIL, "template": templates.ONBOARDING_TWO_WEEKS},
        ],
    },
    {
        "name": "Project completion follow-up",
        "description": "Thank the client, check in after launch and ask for a testimonial.",
        "steps": [
            {"days": 0, "kind": EMAIL, "template": templates.PROJECT_THANK_YOU},
            {
                "days": 7,
                "kind": TASK,
                "task_title": "Call: any issues since launch?",
                "task_type": "call",
                "priority": "medium",
            },
            {"days": 30, "kind": EMAIL, "template": templates.PROJECT_CHECK_IN},
        ],
    },
    {
        "name": "Upselling",
        "description": "Suggest more services to a happy client, then call.",
        "steps": [
            {"days": 0, "kind": EMAIL, "template": templates.UPSELL_IDEAS},
            {
                "days": 5,
                "kind": TASK,
                "task_title": "Call about the new services",
                "task_type": "call",
                "priority": "high",
            },
            {"days": 12, "kind": EMAIL, "template": "Friendly follow-up"},
        ],
    },
]
