"""Project.table is now the plan's table row (a reserve project has none)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("projects", "0007_plan_tables_data")]

    operations = [
        migrations.RemoveConstraint(model_name="project", name="project_table_number"),
        migrations.RemoveField(model_name="project", name="table"),
        migrations.RenameField(model_name="project", old_name="plan_table", new_name="table"),
        migrations.AlterField(
            model_name="project",
            name="table",
            field=models.ForeignKey(blank=True, help_text="储备项目不属于任何项目表。", null=True, on_delete=django.db.models.deletion.PROTECT, related_name="projects", to="projects.plantable", verbose_name="项目表"),
        ),
        migrations.AddConstraint(
            model_name="project",
            constraint=models.UniqueConstraint(fields=("plan", "table", "number"), name="project_table_number"),
        ),
    ]
