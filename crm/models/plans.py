"""Action plans (docs/product.md#action-plans): ordered tasks due N days after the plan starts."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm import clock
from crm.extensions import Model


class ActionPlan(Model):
    __tablename__ = "action_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    tasks: Mapped[list["ActionPlanTask"]] = relationship(
        back_populates="plan", order_by="ActionPlanTask.position", cascade="all, delete-orphan")


class ActionPlanTask(Model):
    __tablename__ = "action_plan_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    due_days: Mapped[int] = mapped_column(default=0)

    plan: Mapped[ActionPlan] = relationship(back_populates="tasks")


class ContactTask(Model):
    """A plan task as scheduled for one referral; done when ticked on Contact Details."""
    __tablename__ = "contact_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_contact_tasks_contact_position", "contact_id", "position"),)
