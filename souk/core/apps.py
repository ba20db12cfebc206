from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "souk.core"
    label = "core"
    verbose_name = "Souk core"

    def ready(self) -> None:
        from souk.core import requestid
        from souk.core.sweeps import register_sweep
        from souk.core.workers import reap_stale_tasks, setting

        requestid.connect()
        register_sweep("tasks_stale_reaped", reap_stale_tasks,
                       every_seconds=float(setting("TASK_REAP_SWEEP_SECONDS")))
