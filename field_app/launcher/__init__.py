"""The desktop icon that starts Lắng Nghe and opens it in the browser (logic, views)."""
