"""Plans are data: a plan's tables become rows (PlanTable); projects get a status
and a link to the project they continue; adjustments (项目调整)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import portfolio.fields


class Migration(migrations.Migration):

    dependencies = [
        ("portfolio", "0005_api_client_role"),
        ("projects", "0005_dossier_and_alerts_moved"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PlanTable",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveSmallIntegerField(verbose_name="表号")),
                ("title", models.CharField(max_length=200, verbose_name="表名")),
                ("plan", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="tables", to="portfolio.plan", verbose_name="规划")),
                ("sector", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="plan_tables", to="portfolio.sector", verbose_name="产业")),
            ],
            options={
                "verbose_name": "项目表",
                "verbose_name_plural": "项目表",
                "ordering": ["plan", "number"],
                "constraints": [models.UniqueConstraint(fields=("plan", "number"), name="plan_table_number")],
            },
        ),
        # The old number column may be empty while its values move to the rows.
        migrations.AlterField(
            model_name="project",
            name="table",
            field=models.PositiveSmallIntegerField(null=True, verbose_name="项目表"),
        ),
        migrations.AddField(
            model_name="project",
            name="plan_table",
            field=models.ForeignKey(null=True, blank=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="projects.plantable"),
        ),
        migrations.AddField(
            model_name="project",
            name="status",
            field=models.CharField(choices=[("active", "在册"), ("removed", "调出"), ("reserve", "储备")], db_index=True, default="active", max_length=20, verbose_name="项目状态"),
        ),
        migrations.AddField(
            model_name="project",
            name="continues",
            field=models.OneToOneField(blank=True, help_text="上一规划中的同一项目（续建）。", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="continued_by", to="projects.project", verbose_name="续建自"),
        ),
    ]
