"""Background tasks: the fast path of the address-fix deadline. The sweep (apps.py) is the safety net."""

from __future__ import annotations

from django_tasks import task


@task()
def address_fix_deadline(problem_id: int) -> int:
    from souk.compliance.services.addresses import expire_address_problems

    return expire_address_problems(problem_ids=[problem_id])
