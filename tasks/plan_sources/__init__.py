"""Readers of a plan's task list in the forms an office receives it: text (UTF-8, GBK/GB18030 or
UTF-16), an Excel 清单 (.xlsx) and a Word table (.docx). Pure Python (no Django): each returns a
``tasks.plan_parser.ParsedPlan`` or raises ``PlanFormatError`` at the line, row or cell it cannot read.
``read_plan(data, filename)`` picks the reader."""

from tasks.plan_sources.reader import PlanFileError, read_plan

__all__ = ["PlanFileError", "read_plan"]
