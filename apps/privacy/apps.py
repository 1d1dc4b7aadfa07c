from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """A person's data rights (export, account closure) and retention. It sits above the
    apps whose data it gathers or deletes, so none of them imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.privacy"
    label = "privacy"
