"""A mapping that blocked work is added: the work it blocked is retried by itself.

Listens to django-simple-history's record of each mapping change (it carries
the user who made it), so the mappings app knows nothing of the console.
"""

from simple_history.signals import post_create_historical_record

from syncplatform.mappings.models import CodeMapping, CustomerMapping, LocationMapping, SkuMapping

from .services import retry_blocked_by_mapping

# How MissingMappings names the gap each mapping fills ("sku A", "code tax X").
ENTRY_OF = {
    SkuMapping: lambda m: f"sku {m.channel_sku}",
    LocationMapping: lambda m: f"location {m.channel_location}",
    CustomerMapping: lambda m: f"customer {m.channel_customer_id}",
    CodeMapping: lambda m: f"code {m.code_type} {m.channel_code}",
}


def retry_work_blocked_by(sender, instance, history_user=None, **_signal_arguments) -> None:
    entry_of = ENTRY_OF.get(type(instance))
    if entry_of is None:
        return
    if not type(instance).objects.in_force().filter(pk=instance.pk).exists():
        return  # saved inactive or outside its validity: it unblocks nothing yet
    retry_blocked_by_mapping(instance.channel_id, entry_of(instance), added_by=history_user)


def connect() -> None:
    for model in ENTRY_OF:
        post_create_historical_record.connect(
            retry_work_blocked_by,
            sender=model.history.model,
            dispatch_uid=f"console-retry-blocked-by-{model._meta.model_name}",
        )
